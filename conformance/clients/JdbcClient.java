// The client scenario (see scenario.ts) with the PostgreSQL JDBC driver.
// Compiled at test time against /usr/share/java/postgresql.jar. Connection from PG* environment
// variables; FRESHET_TARGET=freshet enables implicit flush. Prints `ok <step>`; exits 1 on failure.
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

public class JdbcClient {
    static final String LONG_QUERY = "SELECT count(*) FROM generate_series(1, 100000000)";
    static final String T = "client_jdbc";

    static void expect(Object actual, Object expected, String what) {
        if (!Objects.equals(actual, expected)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    interface SqlAction { void run() throws SQLException; }

    static void expectSqlState(SqlAction action, String code, String what) {
        try {
            action.run();
        } catch (SQLException e) {
            expect(e.getSQLState(), code, what + " SQLSTATE");
            return;
        }
        throw new AssertionError(what + ": expected SQLSTATE " + code + ", got success");
    }

    /** DatabaseMetaData runs the driver's own pg_catalog queries. */
    static void checkMetadata(DatabaseMetaData md) throws SQLException {
        try (ResultSet rs = md.getTables(null, "public", T, new String[] {"TABLE"})) {
            expect(rs.next(), true, "getTables finds the table");
            expect(rs.getString("TABLE_NAME"), T, "getTables TABLE_NAME");
            expect(rs.getString("TABLE_TYPE"), "TABLE", "getTables TABLE_TYPE");
            expect(rs.next(), false, "getTables: one table");
        }
        String[][] columns = {{"id", "int4", "NO"}, {"name", "varchar", "YES"}, {"score", "float8", "YES"}};
        try (ResultSet rs = md.getColumns(null, "public", T, null)) {
            for (String[] c : columns) {
                expect(rs.next(), true, "getColumns row for " + c[0]);
                expect(rs.getString("COLUMN_NAME"), c[0], "getColumns COLUMN_NAME");
                expect(rs.getString("TYPE_NAME"), c[1], "getColumns TYPE_NAME of " + c[0]);
                expect(rs.getString("IS_NULLABLE"), c[2], "getColumns IS_NULLABLE of " + c[0]);
            }
            expect(rs.next(), false, "getColumns: three columns");
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/" + System.getenv("PGDATABASE");
        try (Connection conn = DriverManager.getConnection(url, System.getenv("PGUSER"), "")) {
            conn.setAutoCommit(true);
            Statement st = conn.createStatement();
            if ("freshet".equals(System.getenv("FRESHET_TARGET"))) st.execute("SET RW_IMPLICIT_FLUSH TO true");
            st.execute("DROP TABLE IF EXISTS " + T);
            st.execute("CREATE TABLE " + T + " (id int PRIMARY KEY, name varchar, score double precision)");
            checkMetadata(conn.getMetaData());
            System.out.println("ok ddl");

            expect(st.executeUpdate("INSERT INTO " + T + " VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', NULL)"), 3, "insert count");
            expect(st.executeUpdate("UPDATE " + T + " SET score = 9 WHERE id = 3"), 1, "update count");
            System.out.println("ok dml");

            // Run the prepared statement past prepareThreshold (5) so the driver switches to a
            // named server-side statement.
            try (PreparedStatement ps = conn.prepareStatement("SELECT name, score FROM " + T + " WHERE id = ?")) {
                for (int i = 0; i < 7; i++) {
                    ps.setInt(1, 2);
                    try (ResultSet rs = ps.executeQuery()) {
                        expect(rs.next(), true, "row present");
                        expect(rs.getString(1), "b", "name");
                        expect(rs.getDouble(2), 2.5, "score");
                        expect(rs.next(), false, "single row");
                    }
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM " + T + " WHERE score > ? AND name <> ?")) {
                ps.setDouble(1, 2.0);
                ps.setString(2, "zzz");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    expect(rs.getLong(1), 2L, "count with two parameters");
                }
            }
            System.out.println("ok param");

            expectSqlState(() -> st.executeQuery("SELECT * FROM no_such_table_jdbc"), "42P01", "undefined table");
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                rs.next();
                expect(rs.getInt(1), 1, "query after error");
            }
            System.out.println("ok error");

            Statement longSt = conn.createStatement();
            Thread canceller = new Thread(() -> {
                try {
                    Thread.sleep(500);
                    longSt.cancel();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            canceller.start();
            expectSqlState(() -> longSt.executeQuery(LONG_QUERY), "57014", "cancelled query");
            canceller.join();
            try (ResultSet rs = st.executeQuery("SELECT 42")) {
                rs.next();
                expect(rs.getInt(1), 42, "query after cancel");
            }
            System.out.println("ok cancel");

            st.execute("DROP TABLE " + T);
            System.out.println("ok cleanup");
        } catch (Throwable e) {
            System.err.println("FAILED: " + e);
            System.exit(1);
        }
    }
}
