-- Every display name a member has had, so that the assistant's privacy
-- filter also redacts a former name still found in older messages and
-- tickets (issue 13).
CREATE TABLE member_names (
    member_id  INTEGER NOT NULL REFERENCES members(id),
    name       TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (member_id, name)
) WITHOUT ROWID;
INSERT OR IGNORE INTO member_names(member_id, name, first_seen)
    SELECT id, name, created_at FROM members WHERE name != '';
CREATE TRIGGER member_names_new AFTER INSERT ON members WHEN NEW.name != ''
BEGIN
    INSERT OR IGNORE INTO member_names(member_id, name, first_seen) VALUES (NEW.id, NEW.name, NEW.created_at);
END;
CREATE TRIGGER member_names_renamed AFTER UPDATE OF name ON members WHEN NEW.name != '' AND NEW.name != OLD.name
BEGIN
    INSERT OR IGNORE INTO member_names(member_id, name, first_seen)
        VALUES (NEW.id, NEW.name, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;
