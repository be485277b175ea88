<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- The second webapp, outside every mount a front door gives the test webapp: a traversal test that
     sees this marker has reached it. --%>OTHER-WEBAPP-REACHED index route=<%= System.getProperty("tomcattest.route") %>
