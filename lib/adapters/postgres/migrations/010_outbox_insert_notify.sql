-- The outbox's counterpart of the DynamoDB stream (issue 13): every new outbox row notifies the
-- channel outbox_insert with its id, and PostgreSQL delivers the notification when the inserting
-- transaction commits (never for a rolled-back one). The local relay LISTENs and delivers at once;
-- the sweep still delivers whatever a listener missed (it was not connected, or the send failed).
CREATE FUNCTION outbox_mails_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_insert', NEW.id::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_mails_notify_insert
  AFTER INSERT ON outbox_mails
  FOR EACH ROW EXECUTE FUNCTION outbox_mails_notify_insert();
