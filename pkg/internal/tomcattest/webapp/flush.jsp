<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.util.concurrent.*" %>
<%-- flush.jsp?id=X writes "first", flushes, then waits until release.jsp?id=X is requested (at most 60 s)
     before writing the rest. A client that reads "first" and only then calls release.jsp proves that the
     flushed bytes reached it while the page was still running: an ordering proof, not a timing one. --%>
<%
  ConcurrentMap<String, CountDownLatch> latches;
  synchronized (application) {
    latches = (ConcurrentMap<String, CountDownLatch>) application.getAttribute("tomcattest.latches");
    if (latches == null) {
      latches = new ConcurrentHashMap<>();
      application.setAttribute("tomcattest.latches", latches);
    }
  }
  CountDownLatch latch = latches.computeIfAbsent(String.valueOf(request.getParameter("id")), k -> new CountDownLatch(1));
  out.write("first\n");
  out.flush();
  boolean released = latch.await(60, TimeUnit.SECONDS);
  latches.remove(String.valueOf(request.getParameter("id")));
%>released=<%= released %>