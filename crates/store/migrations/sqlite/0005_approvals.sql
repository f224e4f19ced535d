-- Authorisation requests and what is in force (DESIGN section 8): a person's request for
-- access to a site a `hold` rule holds, decided by the pack's access approvers, and the
-- warnings a person chose to continue past ("continue" rows, approved by themselves as they
-- continued). A row is in force while it is approved and valid_from <= now < valid_until.
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL CHECK (kind IN ('access', 'continue')),
    site TEXT NOT NULL,
    rule TEXT NOT NULL,
    url TEXT,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused', 'expired')),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    decision_reason TEXT,
    valid_from BIGINT,
    valid_until BIGINT
);
CREATE INDEX approvals_in_force ON approvals (status, valid_until);
CREATE INDEX approvals_person ON approvals (person_id);
