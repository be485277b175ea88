<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Readiness: answers only once the webapp is deployed, which a CPong or an open port does not prove. --%>
<% response.setHeader("Cache-Control", "no-store"); %>
ok
