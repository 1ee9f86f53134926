"""Campaigns: one task sends a makeSms+ to every row of a list (issue 9).

One concept per module: :mod:`.options` (the operator's checked options), :mod:`.rows`
(what to send: parsing, checks, duplicates), :mod:`.ledger` (durable progress),
:mod:`.runner` (the loop that sends), :mod:`.transport` (its keep-alive HTTP),
:mod:`.report` (summary, results records, XCom pages, the results file), :mod:`.costs`
(the last makeSms+ cost seen) and :mod:`.delivery` (waiting for the trackings).
"""
