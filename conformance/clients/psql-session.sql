-- The client scenario (see scenario.ts) through psql. Variables: freshet (true|false).
\if :freshet
SET RW_IMPLICIT_FLUSH TO true;
\endif
DROP TABLE IF EXISTS client_psql;
CREATE TABLE client_psql (id int PRIMARY KEY, name varchar, score double precision);
INSERT INTO client_psql VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', NULL);
UPDATE client_psql SET score = 9 WHERE id = 3;
\set id 2
\set who 'b'
SELECT name, score FROM client_psql WHERE id = :id AND name = :'who';
SELECT id, name, score FROM client_psql ORDER BY id;
SELECT * FROM no_such_table_psql;
SELECT 1 AS one;
DROP TABLE client_psql;
