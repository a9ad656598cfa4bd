"""Command handlers, one module per part of the lifecycle; each returns a change set.

`applications` (organisations, applications, stage 1 and 2), `certificates` (decision,
surveillance, special audits, re-certification, expiry), `sanctions` (suspension, restoration,
withdrawal, cancellation), `deadline_firing` (a deadline fired, deadlines moved to new numbers).
"""
