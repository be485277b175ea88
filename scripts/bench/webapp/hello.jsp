<%@ page contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- A page with an HttpSession: its id ends in ".<jvmRoute>", the route the front ends stick to. --%>
<%
  Integer before = (Integer) session.getAttribute("count");
  int count = (before == null) ? 1 : before + 1;
  session.setAttribute("count", count);
%>route=<%= System.getProperty("bench.route") %>
session=<%= session.getId() %>
count=<%= count %>
