<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Declared in web.xml with load-on-startup only when Options.SlowStart is set: its jspInit runs while the
     context starts, so the whole webapp (and Tomcat's connectors, which start after the engine) stays
     unavailable for the configured time, like an application that needs long to boot. --%>
<%!
  public void jspInit() {
    String ms = getServletConfig().getInitParameter("sleepMillis");
    try {
      Thread.sleep(ms == null ? 0 : Long.parseLong(ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
%>started
