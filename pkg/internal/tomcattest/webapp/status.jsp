<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- status.jsp?code=N answers with status N and names the route in a header, for error-path tests. --%>
<%
  String param = request.getParameter("code");
  int code = (param == null) ? 200 : Integer.parseInt(param);
  response.setStatus(code);
  response.setHeader("X-Route", System.getProperty("tomcattest.route"));
%>route=<%= System.getProperty("tomcattest.route") %>
status=<%= code %>