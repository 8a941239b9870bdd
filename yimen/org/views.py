from django.http import HttpResponse


def tree_view(request):
    return HttpResponse("todo")


def users(request):
    return HttpResponse("todo")
