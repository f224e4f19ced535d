-- The monthly report (issue 13) counts a month's alerts by the time of the event they are
-- about; without this index that is a scan of every alert ever raised.
CREATE INDEX alerts_at ON alerts (at);
