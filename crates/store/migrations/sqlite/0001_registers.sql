-- Charter store, SQLite dialect. Timestamps are BIGINT microseconds since the Unix epoch, UTC;
-- dates are ISO 8601 text. Keep column names and meanings identical to postgres/0001.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    department TEXT,
    location TEXT,
    roles TEXT NOT NULL DEFAULT '',
    line_manager_id BIGINT REFERENCES people(id),
    start_date TEXT,
    leaving_date TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left', 'erased')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    system TEXT NOT NULL,
    name TEXT NOT NULL,
    note TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    CONSTRAINT accounts_system_name_key UNIQUE (system, name)
);
CREATE INDEX accounts_person ON accounts(person_id);
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL CONSTRAINT devices_serial_key UNIQUE,
    kind TEXT NOT NULL,
    assignee_id BIGINT REFERENCES people(id),
    byod BOOLEAN NOT NULL DEFAULT FALSE,
    encrypted BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('in_stock', 'assigned', 'lost', 'stolen', 'returned', 'retired')),
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE media_authorisations (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    description TEXT NOT NULL,
    reason TEXT NOT NULL,
    authorised_by BIGINT NOT NULL REFERENCES people(id),
    authorised_at BIGINT NOT NULL,
    expires_on TEXT,
    revoked_at BIGINT
);
CREATE TABLE software_requests (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    software TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    decision_reason TEXT
);
CREATE TABLE social_accounts (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    handle TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    custodian_id BIGINT NOT NULL REFERENCES people(id),
    two_factor BOOLEAN NOT NULL,
    authorised_users TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT social_accounts_platform_handle_key UNIQUE (platform, handle)
);
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    pack_id TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    material_change BOOLEAN NOT NULL,
    published_at BIGINT NOT NULL,
    CONSTRAINT policies_pack_version_key UNIQUE (pack_id, version)
);
CREATE TABLE acknowledgements (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    policy_id BIGINT NOT NULL REFERENCES policies(id),
    text_hash TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('agreement', 'briefing', 'induction')),
    -- The laptop the agreement names (ITEC: "Laptop Assigned (Serial No)").
    device_id BIGINT REFERENCES devices(id),
    at BIGINT NOT NULL
);
CREATE INDEX acknowledgements_person ON acknowledgements(person_id, at);
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('spam_scam', 'security_concern', 'lost_stolen_device', 'safeguarding', 'it_issue')),
    reported_by BIGINT NOT NULL REFERENCES people(id),
    reported_at BIGINT NOT NULL,
    description TEXT NOT NULL,
    device_id BIGINT REFERENCES devices(id),
    routed_to TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_by BIGINT REFERENCES people(id),
    closed_at BIGINT,
    outcome TEXT
);
CREATE TABLE breaches (
    id INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    data_categories TEXT NOT NULL,
    approx_people BIGINT,
    approx_records BIGINT,
    likely_consequences TEXT NOT NULL,
    measures TEXT NOT NULL,
    contact_point TEXT NOT NULL,
    aware_at BIGINT NOT NULL,
    logged_by BIGINT NOT NULL REFERENCES people(id),
    logged_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'decided', 'closed')),
    notify_ico BOOLEAN,
    decision_reason TEXT,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    ico_notified_at BIGINT,
    ico_reference TEXT,
    late_reason TEXT,
    people_told_at BIGINT,
    people_told_how TEXT,
    closed_by BIGINT REFERENCES people(id),
    closed_at BIGINT
);
CREATE TABLE breach_people (
    breach_id BIGINT NOT NULL REFERENCES breaches(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    PRIMARY KEY (breach_id, person_id)
);
CREATE TABLE subject_requests (
    id INTEGER PRIMARY KEY,
    person_id BIGINT REFERENCES people(id),
    requester TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection')),
    received_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paused', 'completed', 'refused')),
    paused_since TEXT,
    pause_reason TEXT,
    paused_days BIGINT NOT NULL DEFAULT 0,
    extended BOOLEAN NOT NULL DEFAULT FALSE,
    extension_reason TEXT,
    extension_notice_on TEXT,
    closed_on TEXT,
    outcome TEXT,
    handled_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE leavers (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    leaving_date TEXT NOT NULL,
    opened_by BIGINT NOT NULL REFERENCES people(id),
    opened_at BIGINT NOT NULL,
    equipment_returned_by BIGINT REFERENCES people(id),
    equipment_returned_at BIGINT,
    credentials_handed_over_by BIGINT REFERENCES people(id),
    credentials_handed_over_at BIGINT,
    accounts_disabled_by BIGINT REFERENCES people(id),
    accounts_disabled_at BIGINT,
    social_handed_over_by BIGINT REFERENCES people(id),
    social_handed_over_at BIGINT,
    closed_by BIGINT REFERENCES people(id),
    closed_at BIGINT
);
CREATE UNIQUE INDEX leavers_open_person ON leavers(person_id) WHERE closed_at IS NULL;
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    person_id BIGINT REFERENCES people(id),
    login TEXT NOT NULL CONSTRAINT users_login_key UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX decisions_at ON decisions(at);
-- One person's flagged records, by time (the dashboard's drill-down, alerts, investigations).
-- Allowed traffic is most of what is written and is not indexed by person: keeping a per-person
-- index of every allowed request would cost a third of the write rate, and a person's whole
-- history is read only for a subject access request or an erasure, which scan by time instead.
CREATE INDEX decisions_user_at ON decisions(user_name, at) WHERE verdict <> 'allow';
-- The dashboard lists what was flagged (log, warn, hold, block) by time; allowed traffic,
-- most of it, stays out of this index.
CREATE INDEX decisions_flagged_at ON decisions(at) WHERE verdict <> 'allow';
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    person_id BIGINT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_person ON audit(person_id);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
