"""Do the steps of session.yaml join up: every target real, every step reachable, no dead ends.

Checked on the loaded `Flow`, with the YAML node of each step so a problem names its line.
"""

from __future__ import annotations

from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import Node
from bot.session.flow import BACK, Flow, Step

Graph = dict[str, set[str]]


def _successors(steps: dict[str, Step], flow: Flow, step: Step) -> set[str]:
    out = {c.to for c in step.buttons if c.to and c.to != BACK}
    if step.anytime:
        out |= {c.to for c in flow.anytime}
    if step.next:
        out.add(step.next)
    return {s for s in out if s in steps}


def _check_targets(reader: FileReader, root: Node, flow: Flow, nodes: dict[str, Node]) -> None:
    """Every button, `next` and anytime target names a step (or "back", on a step's own button)."""
    targets: list[tuple[Node, str, str]] = []
    for step in flow.steps.values():
        node = nodes[step.id]
        targets += [(node, "buttons", c.to) for c in step.buttons if c.to]
        if step.next:
            targets.append((node, "next", step.next))
    targets += [(root, "anytime", c.to) for c in flow.anytime]
    for node, key, target in targets:
        if target != BACK and target not in flow.steps:
            reader.error(node, f"'{key}' goes to unknown step '{target}'", key)
        if target == BACK and key != "buttons":
            reader.error(node, f"'{key}' cannot be 'back'", key)


def _check_kinds(reader: FileReader, root: Node, flow: Flow) -> bool:
    """One sets step, an end step, a real start that is not an ending; False if there is no start."""
    steps = flow.steps
    if flow.start not in steps:
        reader.error(root, f"'start' names unknown step '{flow.start}'", "start")
        return False
    kinds = [s.kind for s in steps.values()]
    if kinds.count("sets") != 1:
        count = kinds.count("sets")
        reader.error(root, f"the session needs exactly one step of kind 'sets', has {count}", "steps")
    if "end" not in kinds:
        reader.error(root, "the session needs at least one step of kind 'end'", "steps")
    if steps[flow.start].final:
        reader.error(root, "the 'start' step cannot be an end or stop step", "start")
    return True


def _reachable(succ: Graph, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in succ[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _with_back(steps: dict[str, Step], succ: Graph) -> Graph:
    """For getting out, "back" may return to any step leading here."""
    preds: Graph = {sid: set() for sid in steps}
    for sid, outs in succ.items():
        for target in outs:
            preds[target].add(sid)
    backs = {sid for sid, s in steps.items() if any(c.to == BACK for c in s.buttons)}
    return {sid: outs | preds[sid] if sid in backs else outs for sid, outs in succ.items()}


def _finishing(steps: dict[str, Step], succ: Graph) -> set[str]:
    """Steps from which some path reaches an end or stop step."""
    finishing = {sid for sid, s in steps.items() if s.final}
    changed = True
    while changed:
        changed = False
        for sid in steps:
            if sid not in finishing and succ[sid] & finishing:
                finishing.add(sid)
                changed = True
    return finishing


def check_graph(reader: FileReader, root: Node, flow: Flow, nodes: dict[str, Node]) -> None:
    """Every target exists, every step is reachable from `start`, and every step can reach an ending."""
    _check_targets(reader, root, flow, nodes)
    if not _check_kinds(reader, root, flow):
        return
    steps = flow.steps
    succ = {sid: _successors(steps, flow, s) for sid, s in steps.items()}
    seen = _reachable(succ, flow.start)  # "back" only returns to a step seen before: not counted
    finishing = _finishing(steps, _with_back(steps, succ))
    for sid in steps:
        if sid not in seen:
            reader.error(nodes[sid], f"step '{sid}' is never reached from the start step '{flow.start}'")
    for sid in steps:
        if sid in seen and sid not in finishing:
            reader.error(nodes[sid], f"step '{sid}' is a dead end: no way from it to an end or stop step")
