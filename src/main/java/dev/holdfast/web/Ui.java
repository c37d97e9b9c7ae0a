package dev.holdfast.web;

/**
 * What every page needs to know about who is looking: the name shown in the header, which actions to offer (the
 * server checks the role again when an action arrives), and the CSRF token for the page's forms.
 */
public record Ui(String user, boolean operator, boolean admin, String csrf) {}
