-- An admin's list of pending link requests reads the pending ones only, in
-- order, instead of every request ever made (storage/plans_test.go).
CREATE INDEX link_requests_pending_order ON link_requests(id) WHERE state = 'pending';
