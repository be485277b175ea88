<%@ page contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- A page that uses the HttpSession: the session id carries ".<jvmRoute>", hits counts visits in this session. --%>
<%
  Integer seen = (Integer) session.getAttribute("hits");
  int hits = (seen == null) ? 1 : seen + 1;
  session.setAttribute("hits", hits);
%>route=<%= System.getProperty("tomcattest.route") %>
session=<%= session.getId() %>
new=<%= session.isNew() %>
hits=<%= hits %>