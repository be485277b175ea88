<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Like index.jsp: a page a traversal must never reach through a front door that mounts only /app. --%>OTHER-WEBAPP-REACHED secret route=<%= System.getProperty("tomcattest.route") %>
