-- Ids are never reused, so an audit row's entity id names one row for ever. SQLite hands out
-- max(id) + 1 for a plain INTEGER PRIMARY KEY, so deleting the newest row (an erasure deletes
-- a person's software requests and removable-media authorisations) would let the next row
-- take its id; AUTOINCREMENT never reuses one. The tables other rows point at are never
-- deleted from. PostgreSQL identities never reuse ids (postgres/0002).
CREATE TABLE software_requests_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id BIGINT NOT NULL REFERENCES people(id),
    software TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    decision_reason TEXT
);
INSERT INTO software_requests_new (id, person_id, software, reason, status, requested_at, decided_by, decided_at, decision_reason)
    SELECT id, person_id, software, reason, status, requested_at, decided_by, decided_at, decision_reason FROM software_requests;
DROP TABLE software_requests;
ALTER TABLE software_requests_new RENAME TO software_requests;

CREATE TABLE media_authorisations_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id BIGINT NOT NULL REFERENCES people(id),
    description TEXT NOT NULL,
    reason TEXT NOT NULL,
    authorised_by BIGINT NOT NULL REFERENCES people(id),
    authorised_at BIGINT NOT NULL,
    expires_on TEXT,
    revoked_at BIGINT
);
INSERT INTO media_authorisations_new (id, person_id, description, reason, authorised_by, authorised_at, expires_on, revoked_at)
    SELECT id, person_id, description, reason, authorised_by, authorised_at, expires_on, revoked_at FROM media_authorisations;
DROP TABLE media_authorisations;
ALTER TABLE media_authorisations_new RENAME TO media_authorisations;

CREATE TABLE decisions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    user_name TEXT,
    source TEXT NOT NULL,
    subject TEXT NOT NULL,
    verdict TEXT NOT NULL,
    rule TEXT,
    check_name TEXT,
    severity TEXT,
    categories TEXT,
    privacy TEXT NOT NULL,
    detail TEXT,
    findings TEXT
);
INSERT INTO decisions_new (id, at, user_name, source, subject, verdict, rule, check_name, severity, categories, privacy, detail, findings)
    SELECT id, at, user_name, source, subject, verdict, rule, check_name, severity, categories, privacy, detail, findings FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
-- The indexes of sqlite/0001, unchanged (see there for why each is partial).
CREATE INDEX decisions_at ON decisions(at);
CREATE INDEX decisions_user_at ON decisions(user_name, at) WHERE verdict <> 'allow';
CREATE INDEX decisions_flagged_at ON decisions(at) WHERE verdict <> 'allow';

-- Messages for a person, shown in their self-service: that their monitoring records were
-- looked at, by whom and why (IMPRESS: "will endeavour to inform an affected employee").
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id BIGINT NOT NULL REFERENCES people(id),
    at BIGINT NOT NULL,
    text TEXT NOT NULL,
    audit_seq BIGINT
);
CREATE INDEX notices_person ON notices(person_id);
