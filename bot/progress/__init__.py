"""/progress (a chart of reps against the protocol, with soreness) and /export (a CSV of sessions,
sets and soreness scores); read through coach.training and coach.local_time, no rows of its own."""
