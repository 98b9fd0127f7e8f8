-- Roster entries an import took off the roster (`roster import
-- --remove-missing`: graduates, people who left) stay in the table, marked
-- with when they left: check-ins, relays, study marks and tickets keep
-- naming them. They are not counted, found by /iam, or given a role. A
-- later import that lists them again puts them back.
ALTER TABLE roster ADD COLUMN left_at INTEGER;
DROP TRIGGER roster_version_update;
CREATE TRIGGER roster_version_update AFTER UPDATE OF name, number, unit_id, title, role, phone, left_at ON roster
WHEN OLD.name IS NOT NEW.name OR OLD.number IS NOT NEW.number OR OLD.unit_id IS NOT NEW.unit_id
  OR OLD.title IS NOT NEW.title OR OLD.role IS NOT NEW.role OR OLD.phone IS NOT NEW.phone
  OR OLD.left_at IS NOT NEW.left_at BEGIN
    UPDATE roster_version SET version = version + 1;
    UPDATE roster SET changed = (SELECT version FROM roster_version) WHERE id = NEW.id;
END;
