"""The fault-injection harness (``casedesk chaos-escalations``): a tool, not part of the product.

It sits above every other app (it drives support escalations through real worker processes);
nothing in the product imports it. The fault points it triggers live in ``casedesk.jobs.faults``.
"""
