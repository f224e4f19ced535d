-- Classifier alerts (issue 14 item 5): the model that made the finding, its version and its
-- score (in ten-thousandths, so both engines store an exact integer), and whether the person
-- who triaged it agreed with the model (confirmed: yes, dismissed: no). A referral of a
-- model's alert needs it confirmed first; the agreement rate per model is read from here.
ALTER TABLE alerts ADD COLUMN model TEXT;
ALTER TABLE alerts ADD COLUMN model_version TEXT;
ALTER TABLE alerts ADD COLUMN model_score BIGINT;
ALTER TABLE alerts ADD COLUMN reviewer_agreed BOOLEAN;
