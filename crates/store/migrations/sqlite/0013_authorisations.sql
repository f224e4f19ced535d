-- General authorisation requests the seed policies name (DESIGN section 8, approvals): a
-- website's licence or contract terms (IMPRESS), a new social media account or blog, a mass
-- mailing, third-party hardware, VPN access outside the agreed hours. A person asks; the
-- roles the pack gives the kind decide, never on their own request.
CREATE TABLE authorisations (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL CHECK (kind IN ('website_terms', 'social_media_account', 'mass_mail', 'third_party_hardware', 'out_of_hours_vpn')),
    details TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    decision_reason TEXT
);
CREATE INDEX authorisations_person ON authorisations (person_id);
CREATE INDEX authorisations_status ON authorisations (status);
