<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Readiness page: answers only once the context has started, so 200 here proves the app, not the port. --%><%= "ok" %>
