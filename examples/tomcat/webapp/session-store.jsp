<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.io.File,java.io.FileOutputStream,java.sql.Connection,java.sql.PreparedStatement,javax.naming.InitialContext,javax.sql.DataSource" %>
<%--
  The handoff check (x-roll drain: {mode: handoff, check: /session-store.jsp}): before roll's gateway holds this
  container's users and roll stops it so that Tomcat writes their sessions, it asks this page whether the store
  Tomcat writes to is reachable. 200 "ok" when it is; 503 with the reason when not, and the deploy then drains
  by sessions instead. The same store as conf/sessions/<SESSION_STORE>.xml: SESSION_STORE=file writes, syncs and
  removes a probe file in SESSION_DIR (default /sessions); SESSION_STORE=jdbc takes a connection from the
  store's DataSource (java:comp/env/jdbc/sessions) and writes a row to the example's table tomcat_sessions in a
  transaction it rolls back.
--%>
<%
  response.setHeader("Cache-Control", "no-store");
  String store = System.getenv("SESSION_STORE");
  String problem = null;
  try {
    if ("file".equals(store)) {
      String dir = System.getenv("SESSION_DIR");
      if (dir == null || dir.isEmpty()) {
        dir = "/sessions";
      }
      File probe = File.createTempFile(".roll-probe-", ".tmp", new File(dir));
      try (FileOutputStream w = new FileOutputStream(probe)) {
        w.write(1);
        w.getFD().sync();
      } finally {
        if (!probe.delete()) {
          problem = "cannot remove the probe file " + probe;
        }
      }
    } else if ("jdbc".equals(store)) {
      // A row written and rolled back: the database answers, the login works, the table is there and
      // this role may write to it. Nothing is left behind.
      DataSource ds = (DataSource) new InitialContext().lookup("java:comp/env/jdbc/sessions");
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try (PreparedStatement st = c.prepareStatement(
            "INSERT INTO tomcat_sessions (app, id, valid, maxinactive, lastaccess, data) VALUES (?, ?, '0', 0, 0, NULL)")) {
          st.setQueryTimeout(2);
          st.setString(1, "/.roll-probe");
          st.setString(2, "probe-" + System.nanoTime());
          st.executeUpdate();
        } finally {
          c.rollback();
        }
      }
    } else {
      problem = "no session store is configured (SESSION_STORE is \"" + (store == null ? "" : store) + "\")";
    }
  } catch (Exception e) {
    problem = "session store " + store + ": " + e;
  }
  if (problem != null) {
    response.setStatus(503);
    out.println(problem);
  } else {
    out.println("ok");
  }
%>
