-- Personal-use accounting (issue 11): browsing time per person, local day, local hour and
-- category, split inside and outside the pack's personal-use windows, and the requests
-- behind it. These counts are all that outlive the raw records' retention: the daily figures
-- are the sums over a day's hours, the baselines of unusual activity are taken from the hours.
-- `person` is the account name the records carry (a proxy or mail login).
CREATE TABLE usage_daily (
    person TEXT NOT NULL,
    day TEXT NOT NULL,
    hour SMALLINT NOT NULL CHECK (hour BETWEEN 0 AND 23),
    category TEXT NOT NULL,
    seconds_inside BIGINT NOT NULL DEFAULT 0,
    seconds_outside BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (person, day, hour, category)
);
CREATE INDEX usage_daily_day ON usage_daily (day);
-- What a person has been seen with before (a device, the place of a VPN login) and what has
-- already fired once for a person and day (`excessive_personal_use`), so that it fires once.
CREATE TABLE usage_marks (
    person TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (person, kind, value)
);
