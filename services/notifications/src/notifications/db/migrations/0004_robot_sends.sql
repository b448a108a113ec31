-- Robot pacing shared by every sender replica (the vendors allow at most 20 messages a minute
-- per robot, whatever our replica count): one row per message sent to a robot in the last
-- minute.
-- A sender takes a slot under a transaction-scoped advisory lock on the endpoint.
CREATE TABLE robot_sends (
    endpoint text        NOT NULL,
    sent_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX robot_sends_endpoint ON robot_sends (endpoint, sent_at);
