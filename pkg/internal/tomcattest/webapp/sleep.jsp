<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- sleep.jsp?ms=N holds the request for N milliseconds (default 100): an in-flight request for drain tests. --%>
<%
  String param = request.getParameter("ms");
  long ms = (param == null) ? 100 : Long.parseLong(param);
  long start = System.nanoTime();
  Thread.sleep(ms);
%>route=<%= System.getProperty("tomcattest.route") %>
slept_ms=<%= (System.nanoTime() - start) / 1000000 %>