-- The objects introspection.test.ts inspects through psql, JDBC, psycopg and GUI-tool queries:
-- a table with a primary key, a default and a secondary index, a table without a key, a
-- view, a materialized view, a source and a sink.
CREATE TABLE orders (order_id int PRIMARY KEY, customer varchar NOT NULL, amount double precision DEFAULT 0);
CREATE TABLE events (kind varchar, at timestamptz);
CREATE INDEX orders_by_customer ON orders (customer);
CREATE VIEW big_orders AS SELECT order_id, amount FROM orders WHERE amount > 100;
CREATE MATERIALIZED VIEW customer_totals AS SELECT customer, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer;
CREATE SOURCE clicks (user_id int, url varchar) WITH (connector = 'datagen', datagen.rows.per.second = '10') FORMAT PLAIN ENCODE JSON;
CREATE SINK totals_out FROM customer_totals WITH (connector = 'blackhole');
INSERT INTO orders VALUES (1, 'ann', 50), (2, 'bob', 150), (3, 'ann', 200);
FLUSH;
