<%@ page session="false" trimDirectiveWhitespaces="true" %>
<%-- nobody.jsp?code=204|304 answers with a status that never has a body; Tomcat then sends no body chunk. --%>
<%
  String param = request.getParameter("code");
  int code = (param == null) ? 204 : Integer.parseInt(param);
  response.setStatus(code);
  response.setHeader("ETag", "\"tomcattest\"");
  response.setHeader("X-Route", System.getProperty("tomcattest.route"));
%>