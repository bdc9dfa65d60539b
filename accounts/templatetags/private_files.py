"""{% load private_files %} {% private_file_url obj %} / {% private_file_link obj %}: links to the
permission-checked download view. Templates never use obj.file.url."""

from django import template

from qoricash import downloads

register = template.Library()


@register.simple_tag
def private_file_url(obj):
    return downloads.private_file_url(obj)


@register.simple_tag
def private_file_link(obj, label=None):
    return downloads.private_file_link(obj, label)
