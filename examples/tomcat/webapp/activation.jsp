<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- The gateway's activation of this instance as mod_jk sends it over AJP: ACT, DIS (draining) or STP. --%>
<%
  Object activation = request.getAttribute("JK_LB_ACTIVATION");
  response.setHeader("Cache-Control", "no-store");
  out.println(activation == null ? "none" : activation);
%>
