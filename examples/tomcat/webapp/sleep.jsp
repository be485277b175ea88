<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Answers after ?ms= milliseconds (at most ten minutes): a request held in flight during a drain. --%>
<%
  long ms;
  try {
    ms = Long.parseLong(request.getParameter("ms"));
  } catch (NumberFormatException e) {
    ms = -1;
  }
  if (ms < 0 || ms > 600000) {
    response.setStatus(400);
    out.println("want ?ms= between 0 and 600000");
    return;
  }
  Thread.sleep(ms);
  response.setHeader("Cache-Control", "no-store");
  out.println("slept " + ms + " ms");
%>
