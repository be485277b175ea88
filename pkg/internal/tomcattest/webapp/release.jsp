<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.util.concurrent.*" %>
<%-- release.jsp?id=X lets the flush.jsp request with the same id finish (see flush.jsp). --%>
<%
  ConcurrentMap<String, CountDownLatch> latches;
  synchronized (application) {
    latches = (ConcurrentMap<String, CountDownLatch>) application.getAttribute("tomcattest.latches");
    if (latches == null) {
      latches = new ConcurrentHashMap<>();
      application.setAttribute("tomcattest.latches", latches);
    }
  }
  latches.computeIfAbsent(String.valueOf(request.getParameter("id")), k -> new CountDownLatch(1)).countDown();
%>released=true
