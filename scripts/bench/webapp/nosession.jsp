<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- The measured page: no session, a few bytes, so the run weighs the front end and the protocol. --%>
route=<%= System.getProperty("bench.route") %>
ok
