-- When a review was first published (front matter `published`), and whether a closed
-- action item worked, as a person judged it (1 yes, 0 no, NULL not said).
ALTER TABLE incidents ADD COLUMN published_at TEXT;
ALTER TABLE action_items ADD COLUMN worked INTEGER CHECK (worked IN (0, 1));
