// DatabaseMetaData calls that GUI tools (DBeaver, Metabase, DataGrip) make when they browse a
// schema, against the objects introspection.test.ts creates. Each call prints its rows as
// `call: col|col|…` lines; the test compares them with the expected text. Connection from PG*
// environment variables. Exits 1 on an exception (the driver's query failed on the server).
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;

public class JdbcMetadata {
    static void print(String call, ResultSet rs, String... columns) throws SQLException {
        try (rs) {
            while (rs.next()) {
                StringBuilder line = new StringBuilder(call).append(":");
                for (int i = 0; i < columns.length; i++) {
                    line.append(i == 0 ? " " : "|").append(rs.getString(columns[i]));
                }
                System.out.println(line);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/" + System.getenv("PGDATABASE");
        try (Connection conn = DriverManager.getConnection(url, System.getenv("PGUSER"), "")) {
            DatabaseMetaData md = conn.getMetaData();
            print("getCatalogs", md.getCatalogs(), "TABLE_CAT");
            print("getSchemas", md.getSchemas(), "TABLE_SCHEM");
            print("getTables", md.getTables(null, "public", "%", null), "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE");
            print("getColumns", md.getColumns(null, "public", "orders", null),
                "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE", "IS_NULLABLE", "COLUMN_DEF", "ORDINAL_POSITION");
            print("getColumns", md.getColumns(null, "public", "customer_totals", null), "COLUMN_NAME", "TYPE_NAME", "ORDINAL_POSITION");
            print("getPrimaryKeys", md.getPrimaryKeys(null, "public", "orders"), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            print("getIndexInfo", md.getIndexInfo(null, "public", "orders", false, true),
                "INDEX_NAME", "NON_UNIQUE", "ORDINAL_POSITION", "COLUMN_NAME");
            print("getImportedKeys", md.getImportedKeys(null, "public", "orders"), "FKTABLE_NAME");
            print("getFunctions", md.getFunctions(null, "public", "%"), "FUNCTION_NAME");
        } catch (Throwable e) {
            System.err.println("FAILED: " + e);
            System.exit(1);
        }
    }
}
