-- A ticket closed without any answer is no first response (issue 13): the
-- SLA report shows such closes in their own column. Closes made before this
-- rule counted as the first response; they no longer do.
UPDATE tickets SET first_response_at = NULL
    WHERE first_response_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.kind = 'answer');
