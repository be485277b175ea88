<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="jakarta.servlet.http.Cookie" %>
<%-- Sets three cookies with different attributes, so the response carries several Set-Cookie headers. --%>
<%
  Cookie plain = new Cookie("plain", "one");
  response.addCookie(plain);
  Cookie scoped = new Cookie("scoped", "two");
  scoped.setPath(request.getContextPath());
  scoped.setHttpOnly(true);
  response.addCookie(scoped);
  Cookie expiring = new Cookie("expiring", "three");
  expiring.setMaxAge(60);
  expiring.setSecure(true);
  response.addCookie(expiring);
%>cookies=3
