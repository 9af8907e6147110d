"""The pure core: the vocabulary (seats, persons, flags, decisions) and every decision.

Nothing here does I/O or reads a clock: ``domain`` names things, ``policy`` decides what
happens to each person, ``limits`` bounds mass cancelling and forgetting, ``budget`` fits
the work into GitHub's hourly requests, ``completeness`` tells who can be decided at all.
"""
