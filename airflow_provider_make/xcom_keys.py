"""The XCom keys the operators, the sensor and the links share."""

#: The accepted request (id, kind, cost, credits, result_code), pushed before any waiting.
REQUEST = "make_request"
#: The tracking id alone, pushed before any waiting.
TRACKING_ID = "make_tracking_id"
#: makeCall+'s recording URL, pushed once the tracking log has one.
RECORD_LINK = "make_record_link"
#: The task_state_store key under which an accepted request is kept across retries.
STATE_REQUEST = "make_request"
