<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- The cheapest dynamic page: no session, a few bytes. Used to measure the protocol itself. --%>route=<%= System.getProperty("tomcattest.route") %>
hello
