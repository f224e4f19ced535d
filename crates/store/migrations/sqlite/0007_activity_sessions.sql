-- Sign-in sessions seen in the logs (issue 11: concurrent_sessions). A row opens on a
-- successful login and closes on the matching logout; the app treats a session left open
-- longer than its expiry as over. Kept in the store, not in memory, so a restart does not
-- forget who is signed in and several serve nodes share one view.
CREATE TABLE activity_sessions (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    system TEXT NOT NULL,
    session TEXT,
    place TEXT NOT NULL,
    reporter TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX activity_sessions_account ON activity_sessions (account, started_at);

-- A removable-media authorisation may name the device as usbguard sees it, so Charter can
-- match usbguard's events to it and write usbguard allow rules for it.
ALTER TABLE media_authorisations ADD COLUMN usb_id TEXT;
ALTER TABLE media_authorisations ADD COLUMN usb_serial TEXT;
