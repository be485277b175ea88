<%@ page contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%--
  Counts the visit in the caller's session and says who answered, in the same one-line shape as the Go
  example app: version=… route=… session=… hits=…
  The route is read back from the session id Tomcat made (<id>.<jvmRoute>), so it shows what the gateway
  sees in the cookie.
--%>
<%
  String version = System.getenv("APP_VERSION");
  if (version == null || version.isEmpty()) {
    version = application.getInitParameter("app.version");
  }
  Integer hits = (Integer) session.getAttribute("hits");
  hits = (hits == null) ? 1 : hits + 1;
  session.setAttribute("hits", hits);
  String id = session.getId();
  int dot = id.indexOf('.');
  String route = (dot < 0) ? "" : id.substring(dot + 1);
  response.setHeader("Cache-Control", "no-store");
  out.println("version=" + version + " route=" + route + " session=" + id + " hits=" + hits);
%>
