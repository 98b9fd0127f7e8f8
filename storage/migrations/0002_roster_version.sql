-- roster_version counts changes to the roster table, so a running bot that
-- keeps roster entries in memory notices an import made by another process
-- (`branchbot roster import`) within a second, by reading one row.
CREATE TABLE roster_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO roster_version(id, version) VALUES (1, 0);
CREATE TRIGGER roster_version_insert AFTER INSERT ON roster BEGIN
    UPDATE roster_version SET version = version + 1;
END;
CREATE TRIGGER roster_version_update AFTER UPDATE ON roster BEGIN
    UPDATE roster_version SET version = version + 1;
END;
CREATE TRIGGER roster_version_delete AFTER DELETE ON roster BEGIN
    UPDATE roster_version SET version = version + 1;
END;
