<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.io.*,java.util.concurrent.*" %>
<%-- POST bodyfail.jsp?id=X reads the request body and records how the read ended under X: "complete
     bytes=N", or the IOException's class and "bytes=N" read before it. GET bodyfail.jsp?report=X waits
     (30 s at most) for that record and prints outcome=<record>, or outcome=none. A client whose upload it
     cut short learns this way whether the application saw an I/O error or a body that looked whole. --%>
<%
  ConcurrentMap<String, CompletableFuture<String>> outcomes;
  synchronized (application) {
    outcomes = (ConcurrentMap<String, CompletableFuture<String>>) application.getAttribute("tomcattest.bodyfail");
    if (outcomes == null) {
      outcomes = new ConcurrentHashMap<>();
      application.setAttribute("tomcattest.bodyfail", outcomes);
    }
  }
  String outcome;
  if ("GET".equals(request.getMethod())) {
    String id = String.valueOf(request.getParameter("report"));
    try {
      outcome = outcomes.computeIfAbsent(id, k -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      outcome = "none";
    }
    outcomes.remove(id);
  } else {
    long total = 0;
    String end = "complete";
    try {
      InputStream body = request.getInputStream();
      byte[] chunk = new byte[32768];
      for (int n = body.read(chunk); n != -1; n = body.read(chunk)) {
        total += n;
      }
    } catch (IOException e) {
      end = e.getClass().getName();
    }
    outcome = end + " bytes=" + total;
    // The body is read before the id, so that no parameter parsing can touch it.
    String id = String.valueOf(request.getParameter("id"));
    outcomes.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(outcome);
  }
%>outcome=<%= outcome %>
