-- A referred alert opens a disciplinary incident carrying the rule's severity: the incidents
-- table takes the new kind and a severity. SQLite cannot change a CHECK constraint, so the
-- table is rebuilt with its rows (nothing refers to it yet).
CREATE TABLE incidents_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('spam_scam', 'security_concern', 'lost_stolen_device', 'safeguarding', 'it_issue', 'disciplinary')),
    reported_by BIGINT NOT NULL REFERENCES people(id),
    reported_at BIGINT NOT NULL,
    description TEXT NOT NULL,
    device_id BIGINT REFERENCES devices(id),
    routed_to TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_by BIGINT REFERENCES people(id),
    closed_at BIGINT,
    outcome TEXT,
    severity TEXT
);
INSERT INTO incidents_new (id, kind, reported_by, reported_at, description, device_id, routed_to, status, closed_by, closed_at, outcome)
    SELECT id, kind, reported_by, reported_at, description, device_id, routed_to, status, closed_by, closed_at, outcome FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;

-- Alerts (DESIGN section 8): every finding whose rule names `alert = [...]` routes, one per
-- person, rule and hour (`hour_us`, the event's time cut to the hour, UTC), routed by the
-- pack's [governance] to roles. The monitoring record is referred to by its user, time and
-- subject (records are written in bulk and have no id until then). Safeguarding alerts are
-- mailed at once (`mailed_at`), the rest go into the next daily digest (`digested_at`).
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    raised_at BIGINT NOT NULL,
    at BIGINT NOT NULL,
    hour_us BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    person_id BIGINT REFERENCES people(id),
    rule TEXT NOT NULL,
    check_name TEXT,
    severity TEXT NOT NULL,
    routes TEXT NOT NULL,
    clause TEXT,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    subject TEXT NOT NULL,
    privacy TEXT NOT NULL CHECK (privacy IN ('full', 'headers_only')),
    status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed', 'referred')),
    note TEXT,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    incident_id BIGINT REFERENCES incidents(id),
    mailed_at BIGINT,
    digested_at BIGINT,
    UNIQUE (user_name, rule, hour_us)
);
CREATE INDEX alerts_status ON alerts (status, raised_at);
CREATE INDEX alerts_digest ON alerts (digested_at, mailed_at);
