<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Decodes the request body as UTF-8 text and prints it back, with its length in characters, so non-ASCII
     bodies can be compared as text rather than as a digest. --%>
<%
  request.setCharacterEncoding("UTF-8");
  StringBuilder text = new StringBuilder();
  java.io.Reader reader = request.getReader();
  char[] chunk = new char[4096];
  for (int n = reader.read(chunk); n != -1; n = reader.read(chunk)) {
    text.append(chunk, 0, n);
  }
%>chars=<%= text.codePointCount(0, text.length()) %>
text=<%= text %>