"""Planning 10,000 due audits with 200 auditors: the planner (workflows.planning) with the team
rules as its judge through durable-rules, as `starcert plan` runs it, minus the database reads.

Baseline, in the same run: the floor of any planner that asks the rules, one decision for each
audit on its first day's first team (the same facts built, the same engine), no search. Printed:
wall and CPU seconds of each, the ratio, proposals and audits without a team, decisions asked.
Run: .venv/bin/python bench/bench_planning.py [--audits N] [--auditors M] [--rounds R]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.team_evaluate import evaluate_team
from engine.team_loader import load_team_rules
from engine.team_rules import TeamRules, audit_time
from workflows.auditors import (
    Auditor,
    Grade,
    Qualification,
    Relation,
    RelationKind,
    Unavailability,
)
from workflows.model import Application, AuditKind, PrerequisiteFacts
from workflows.planning import DueAudit, Verdict, plan
from workflows.team_check import ProposedTeam, team_facts

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("household_appliances", "consumer_electronics", "automobiles", "furniture",
         "building_materials", "e_commerce", "logistics", "catering")  # fmt: skip
START = date(2027, 1, 4)
FACTS = PrerequisiteFacts(True, True, True, None, True, True)


def register(rng: random.Random, count: int) -> list[Auditor]:
    found = []
    for i in range(count):
        off = START + timedelta(days=rng.randint(0, 80))
        relations = (
            (Relation(rng.randint(1, 3000), RelationKind.CONSULTANCY, date(2024, 1, 1), None),)
            if rng.random() < 0.2 else ()
        )  # fmt: skip
        found.append(
            Auditor(
                i + 1, f"auditor {i + 1}",
                Qualification(
                    f"R-{i}", Grade.SENIOR_AUDITOR if rng.random() < 0.6 else Grade.AUDITOR,
                    date(2020, 1, 1), START + timedelta(days=rng.randint(20, 900)),
                ),
                tuple(sorted(rng.sample(AREAS, rng.randint(1, 3)))), ("zh",),
                (Unavailability(off, off + timedelta(days=rng.randint(2, 10))),), relations,
            )
        )  # fmt: skip
    return found


def due_audits(rng: random.Random, rules: TeamRules, count: int) -> list[DueAudit]:
    found = []
    for i in range(count):
        kind = "recertification" if rng.random() < 0.3 else "surveillance"
        time_ = audit_time(
            rules.audit_time, kind, int(rng.lognormvariate(3.5, 1.0)) + 1, rng.randint(1, 3)
        )
        closes = START + timedelta(days=rng.randint(7, 52 * 7))  # a year of surveillances
        found.append(
            DueAudit(
                i + 1, rng.randint(1, 3000), kind, max(START, closes - timedelta(days=90)),
                closes, rng.choice(AREAS), time_.days, time_.members,
            )
        )  # fmt: skip
    return found


class Judge:
    def __init__(self, rules: TeamRules) -> None:
        self.rules = rules
        self.asked = 0

    def __call__(self, audit: DueAudit, team: Sequence[Auditor], day: date) -> Verdict:
        self.asked += 1
        application = Application(
            audit.case_id, audit.organisation_id, START, START, "x", FACTS, audit.area
        )
        facts = team_facts(
            ProposedTeam(team[0], tuple(team)), application, audit.area, day,
            AuditKind(audit.kind), audit.members, (),
        )  # fmt: skip
        decision = evaluate_team(self.rules, facts.facts, day)
        return Verdict(decision.accepted, tuple(r.rule for r in decision.failures))


def timed(action: object) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--audits", type=int, default=10_000)
    parser.add_argument("--auditors", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = ROOT / "rules" / "team-gbt27922.yaml"
    rules = load_team_rules(path.read_bytes(), str(path))
    rng = random.Random(27922)
    auditors = register(rng, args.auditors)
    due = due_audits(rng, rules, args.audits)
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.rounds):
        floor_judge = Judge(rules)

        def floor(judge: Judge = floor_judge) -> int:
            for audit in due:
                team = auditors[: max(1, audit.members)]
                judge(audit, team, audit.window_from)
            return judge.asked

        wall, cpu, _ = timed(floor)
        best["floor"] = min(best.get("floor", (wall, cpu)), (wall, cpu))
        judge = Judge(rules)
        wall, cpu, made = timed(lambda judge=judge: plan(due, auditors, judge))
        best["plan"] = min(best.get("plan", (wall, cpu)), (wall, cpu))
        print(
            f"round: plan {wall:.2f} s wall, {cpu:.2f} s CPU; {len(made.proposals)} proposed, "  # type: ignore[attr-defined]
            f"{len(made.impossible)} without a team, {judge.asked} decisions asked; "  # type: ignore[attr-defined]
            f"floor ({len(due)} decisions) {best['floor'][0]:.2f} s"
        )
    (pw, pc), (fw, fc) = best["plan"], best["floor"]
    print(
        f"best of {args.rounds}: plan {pw:.2f} s wall ({pc:.2f} s CPU) for {len(due)} audits and "
        f"{len(auditors)} auditors; floor {fw:.2f} s wall ({fc:.2f} s CPU); "
        f"plan/floor x{pw / fw:.2f} wall, x{pc / fc:.2f} CPU (target: plan <= 10 s)"
    )


if __name__ == "__main__":
    main()
