-- roster_version counts changes to the roster table, and roster.changed
-- is the count at a row's last change, so a running bot that keeps roster
-- entries in memory notices an import made by another process (`branchbot
-- roster import`) by reading one row, and reads back only the entries that
-- changed. Deletions are counted apart: they make it read the roster anew.
CREATE TABLE roster_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    deletes INTEGER NOT NULL
);
INSERT INTO roster_version(id, version, deletes) VALUES (1, 0, 0);
ALTER TABLE roster ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX roster_changed ON roster(changed);
CREATE TRIGGER roster_version_insert AFTER INSERT ON roster BEGIN
    UPDATE roster_version SET version = version + 1;
    UPDATE roster SET changed = (SELECT version FROM roster_version) WHERE id = NEW.id;
END;
-- Only changes of what an entry says (an import rewrites every entry it
-- names, most of them unchanged); setting changed itself does not fire it.
CREATE TRIGGER roster_version_update AFTER UPDATE OF name, number, unit_id, title, role, phone ON roster
WHEN OLD.name IS NOT NEW.name OR OLD.number IS NOT NEW.number OR OLD.unit_id IS NOT NEW.unit_id
  OR OLD.title IS NOT NEW.title OR OLD.role IS NOT NEW.role OR OLD.phone IS NOT NEW.phone BEGIN
    UPDATE roster_version SET version = version + 1;
    UPDATE roster SET changed = (SELECT version FROM roster_version) WHERE id = NEW.id;
END;
CREATE TRIGGER roster_version_delete AFTER DELETE ON roster BEGIN
    UPDATE roster_version SET version = version + 1, deletes = deletes + 1;
END;
